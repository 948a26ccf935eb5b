"""WeCom's callback crypto (加解密方案, developer.work.weixin.qq.com/document/path/91144): the
signature of a callback, and its AES-256-CBC body.

- signature: ``sha1`` of the token, timestamp, nonce and encrypted text, sorted and joined;
- key: ``base64(EncodingAESKey + "=")``, 32 bytes; IV: its first 16 bytes;
- plaintext: 16 random bytes, the message's length (4 bytes, big-endian), the message, the receiver id
  (the CorpID for a company's own app), PKCS#7-padded to a multiple of **32** bytes (pad values 1–32:
  the official sample's POST body has 30, which a 16-byte unpadder would refuse).

Checked against the official test vectors (tests/test_wecom_app.py). ``cryptography`` does the AES.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK_BITS = 256  # WeCom pads to 32 bytes


class CryptoError(ValueError):
    """A callback whose signature, encryption or receiver is not the configured app's."""


class WeComCrypto:
    def __init__(self, token: str, encoding_aes_key: str, receive_id: str) -> None:
        if len(encoding_aes_key) != 43:
            raise ValueError("REPORTQA_WECOM_ENCODING_AES_KEY must be the 43 characters the admin console gives")
        self.token = token
        self.key = base64.b64decode(encoding_aes_key + "=")
        self.receive_id = receive_id

    def signature(self, timestamp: str, nonce: str, encrypted: str) -> str:
        return hashlib.sha1("".join(sorted([self.token, timestamp, nonce, encrypted])).encode()).hexdigest()

    def check(self, signature: str, timestamp: str, nonce: str, encrypted: str) -> None:
        if not hmac.compare_digest(self.signature(timestamp, nonce, encrypted), signature or ""):
            raise CryptoError("wrong signature")

    def decrypt(self, encrypted: str) -> str:
        try:
            data = base64.b64decode(encrypted, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise CryptoError("not base64") from exc
        if not data or len(data) % 16:
            raise CryptoError("not AES blocks")
        decryptor = Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16])).decryptor()
        padded = decryptor.update(data) + decryptor.finalize()
        unpadder = padding.PKCS7(BLOCK_BITS).unpadder()
        try:
            plain = unpadder.update(padded) + unpadder.finalize()
        except ValueError as exc:
            raise CryptoError("bad padding") from exc
        if len(plain) < 20:
            raise CryptoError("too short")
        (length,) = struct.unpack(">I", plain[16:20])
        message, receiver = plain[20:20 + length], plain[20 + length:]
        if len(message) != length or receiver.decode(errors="replace") != self.receive_id:
            raise CryptoError("not for this app")
        return message.decode("utf-8")

    def encrypt(self, message: str, random: bytes | None = None) -> str:
        body = message.encode("utf-8")
        plain = (random or os.urandom(16)) + struct.pack(">I", len(body)) + body + self.receive_id.encode()
        padder = padding.PKCS7(BLOCK_BITS).padder()
        padded = padder.update(plain) + padder.finalize()
        encryptor = Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16])).encryptor()
        return base64.b64encode(encryptor.update(padded) + encryptor.finalize()).decode()
