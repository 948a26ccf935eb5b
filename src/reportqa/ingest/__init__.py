"""Files in, cited passages out: readers, cleaning, metadata, sections."""
