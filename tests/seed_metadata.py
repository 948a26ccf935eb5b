"""What a careful reader finds as each sample report's metadata: (file, unit, year, date).

Units are full canonical names in simplified characters (the traditional 001 is 重慶市長壽區…), the
masked XX经济和信息化局 of 003 is 阿坝州's (its body: 州经信局, 阿坝, 汶川), and 000 names no unit at
all (its 我局 and 经开区 give no name a reader could cite).
"""

SEED_METADATA = [
    ("001_525c5565d93138a1.txt", "重庆市长寿区招商投资促进局", 2021, "2022-01-14"),
    ("002_e4b091e3fb9e6599.txt", "重庆市大足区玉龙镇人民政府", 2021, "2021-11-23"),
    ("003_dcdaca7f04dbe387.txt", "阿坝藏族羌族自治州经济和信息化局", 2023, "2023-11-21"),
    ("004_c1f201046002a3b5.txt", "重庆市大足区应急管理局", 2021, None),
    ("000_95c7b36e77b4132c.txt", None, 2021, None),
]
SEED_UNITS = sorted(unit for _, unit, _, _ in SEED_METADATA if unit)
