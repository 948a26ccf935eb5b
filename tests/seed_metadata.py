"""What the issue says each sample report's metadata is: (file, unit, year, signing date)."""

SEED_METADATA = [
    ("001_525c5565d93138a1.txt", "重慶市長壽區招商投資促進局", 2021, "2022-01-14"),
    ("002_e4b091e3fb9e6599.txt", "重庆市大足区玉龙镇人民政府", 2021, "2021-11-23"),
    ("003_dcdaca7f04dbe387.txt", "XX经济和信息化局", 2023, "2023-11-21"),
    ("004_c1f201046002a3b5.txt", "重庆市大足区应急管理局", 2021, None),
    ("000_95c7b36e77b4132c.txt", None, 2021, None),
]
