"""Cell normalisation: what each kind of field makes of the messy values collectors upload."""

import time
from datetime import date, datetime

import pytest

from collection.excel.normalize import (
    normalize_cell,
    normalize_column,
    normalize_header,
    number_text,
)
from collection.schema import FieldSchema, FieldType, catalog_schemas

STUDENT_ID = FieldSchema("学号", FieldType.TEXT, required=True)
NAME = FieldSchema("学生姓名", FieldType.TEXT)
MAJOR = FieldSchema("校内专业（大类）名称", FieldType.TEXT)
COUNT = FieldSchema("学制", FieldType.INT)
AREA = FieldSchema("使用面积（平方米）", FieldType.DECIMAL)
YEAR = FieldSchema("入学年份", FieldType.DATE, format="YYYY")
MONTH = FieldSchema("出生年月", FieldType.DATE, format="YYYY-MM")
COMPACT_MONTH = FieldSchema("购置时间", FieldType.DATE, format="YYYYMM")
DAY = FieldSchema("开始日期", FieldType.DATE, format="YYYY-MM-DD")
FLAG = FieldSchema("是否新专业", FieldType.BOOL)
UNITS = FieldSchema("单位号", FieldType.TEXT, multi=True)
ORIGIN = catalog_schemas()["表1-5-1"].field("学缘")  # codes 本校 / 外校（境内）/ 外校（境外）
MOBILE = FieldSchema("填报人-联系电话", FieldType.TEXT, format="mobile")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("２０２３", "2023"),  # full-width digits
        ("2023\u200b0101", "20230101"),  # zero-width space inside a code
        ("\ufeff2023010", "2023010"),  # BOM pasted from a text file
        ("2023010 ", "2023010"),  # trailing space
        ("\u00a02023010\u3000", "2023010"),  # no-break and ideographic spaces at the ends
        (" 001 ", "001"),  # leading zeros of text are kept
        (1001.0, "1001"),  # a number cell in a text field
        (1.0, "1"),
        ("Ａ００１－２", "A001-2"),  # full-width letters and hyphen in a code
    ],
)
def test_identifiers_are_fully_converted(value, expected):
    assert normalize_cell(value, STUDENT_ID) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("临床医学（５年）", "临床医学（5年）"),  # the full-width bracket is part of the name
        ("张三（Ａ班）", "张三（A班）"),
        ("臺灣師範大學 ", "臺灣師範大學"),  # traditional characters are kept
        ("药学，中药学", "药学，中药学"),  # Chinese punctuation is kept
        ("a\u00a0b", "a b"),
        ("王\u200b芳", "王芳"),
    ],
)
def test_free_text_keeps_chinese_punctuation(value, expected):
    assert normalize_cell(value, MAJOR) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (12.0, "12"),
        ("12.0", "12"),
        ("1,234", "1234"),
        ("１２", "12"),
        (" 12 ", "12"),
        ("1,2", "1,2"),  # not a thousands separator: left for validation to report
        (12.5, "12.5"),
        (True, "TRUE"),
        (date(1900, 1, 4), "4"),  # a number formatted as a date by mistake
    ],
)
def test_int(value, expected):
    assert normalize_cell(value, COUNT) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.1 + 0.2, "0.3"),  # no binary noise
        (1234.5678, "1234.5678"),
        (3.0, "3"),
        (1e-7, "0.0000001"),
        (123456789012345678.0, "123456789012346000"),  # what Excel shows: 15 digits
        ("１，２３４.５", "1234.5"),
        ("12.50", "12.50"),  # a number stored as text stays as typed
    ],
)
def test_decimal(value, expected):
    assert normalize_cell(value, AREA) == expected


def test_number_text():
    assert number_text(-0.0) == "0"
    assert number_text(2.5e-5) == "0.000025"
    assert number_text(1e20) == "100000000000000000000"


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        (DAY, 44927.0, "2023-01-01"),  # an Excel serial whose cell lost its date format
        (MONTH, 44927.0, "2023-01"),
        (YEAR, 44927.0, "2023"),
        (COMPACT_MONTH, 44927, "202301"),
        (DAY, date(2023, 9, 1), "2023-09-01"),  # a real date cell
        (MONTH, datetime(2023, 9, 1, 8, 30), "2023-09"),
        (DAY, "2020/9/1", "2020-09-01"),
        (DAY, "2020年9月1日", "2020-09-01"),
        (DAY, "2020.9.1", "2020-09-01"),
        (DAY, "20200901", "2020-09-01"),
        (DAY, "2020-09-01 00:00:00", "2020-09-01"),
        (MONTH, "2020.09", "2020-09"),
        (MONTH, "2020年9月", "2020-09"),
        (MONTH, "2020-9", "2020-09"),
        (MONTH, "202009", "2020-09"),
        (MONTH, "２０２０年９月", "2020-09"),
        (MONTH, 2020.09, "2020-09"),  # typed 2020.09 in a General cell
        (MONTH, 2020.1, "2020-01"),  # read as displayed: January
        (COMPACT_MONTH, "2020-9", "202009"),
        (YEAR, 2023.0, "2023"),  # a year typed as a number is a year, not a serial
        (YEAR, "2023年", "2023"),
        (YEAR, "２０２３", "2023"),
        (YEAR, "2020-09-01", "2020"),
        (MONTH, 202309.0, "2023-09"),
        (MONTH, "2023", "2023"),  # less precise than asked: kept for validation to report
        (MONTH, "2020.13", "2020.13"),  # no such month
        (DAY, "2021-02-30", "2021-02-30"),  # no such day
        (YEAR, "2020.13", "2020.13"),
        (DAY, "明年", "明年"),
        (DAY, "", ""),
    ],
)
def test_dates(field, value, expected):
    assert normalize_cell(value, field) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("是", "是"),
        ("否", "否"),
        ("Y", "是"),
        ("n", "否"),
        ("yes", "是"),
        ("No", "否"),
        ("1", "是"),
        ("0", "否"),
        (1.0, "是"),
        (0.0, "否"),
        (True, "是"),
        (False, "否"),
        ("√", "是"),
        ("×", "否"),
        ("有", "是"),
        ("无", "否"),
        (" 是 ", "是"),
        ("TRUE", "是"),
        ("也许", "也许"),
    ],
)
def test_bool_variants(value, expected):
    assert normalize_cell(value, FLAG) == expected


def test_bool_words_only_for_bool_fields():
    assert normalize_cell("有", NAME) == "有"
    assert normalize_cell("Y", ORIGIN) == "Y"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("外校（境内）", "外校（境内）"),
        ("外校(境内)", "外校（境内）"),  # half-width brackets give the catalog's code
        (" 外校 ( 境外 ) ", "外校（境外）"),
        ("本校\u200b", "本校"),
        ("别处", "别处"),  # not a code: kept for validation to report
    ],
)
def test_codes_take_the_catalog_spelling(value, expected):
    assert normalize_cell(value, ORIGIN) == expected


def test_code_case():
    indexed = catalog_schemas()["表3-5-3"].field("收录情况")
    assert normalize_cell("ｓｃｉ", indexed) == "SCI"
    teacher = catalog_schemas()["表1-4-1"].field("是否师范类专业")
    assert normalize_cell("s", teacher) == "S"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1001;1002", "1001;1002"),
        ("1001；1002，1003、 1004;;", "1001;1002;1003;1004"),
        ("1001,1002", "1001;1002"),
        ("1001\n1002", "1001;1002"),
        (" 1001 ", "1001"),
        (1001.0, "1001"),
        ("", ""),
    ],
)
def test_multi_value_separators(value, expected):
    assert normalize_cell(value, UNITS) == expected


def test_multi_value_dates_are_each_normalised():
    grades = FieldSchema("年级", FieldType.DATE, format="YYYY", multi=True)
    assert normalize_cell("２０２１、2022年", grades) == "2021;2022"


def test_format_fields_are_fully_converted():
    assert normalize_cell("１３８００１３８０００", MOBILE) == "13800138000"
    assert normalize_cell(13800138000.0, MOBILE) == "13800138000"


def test_other_cell_types():
    assert normalize_cell(None, NAME) == ""
    assert normalize_cell(datetime(2023, 9, 1, 8, 30), NAME) == "2023-09-01 08:30:00"
    assert normalize_cell(date(2023, 9, 1), NAME) == "2023-09-01"


@pytest.mark.parametrize(
    ("header", "key"),
    [
        ("学号", "学号"),
        (" 学 号\n", "学号"),
        ("*学号", "学号"),
        ("学号*", "学号"),
        ("学号（必填）", "学号"),
        ("学号\u200b", "学号"),
        ("校内专业（大类）名称", "校内专业(大类)名称"),
        ("校内专业(大类)名称", "校内专业(大类)名称"),
        ("ＩＳＢＮ", "ISBN"),
        ("学号\x00", "学号"),  # control characters: the reader drops them from headers
        ("\x1b学\x7f号", "学号"),
    ],
)
def test_header_keys(header, key):
    assert normalize_header(header) == key


def test_column_matches_cell_by_cell():
    values = ["男", "女", " 男", 2023.0, True, 1.0, "", None, "２０２３"] * 3
    for field in (NAME, COUNT, YEAR, FLAG, ORIGIN, UNITS):
        assert normalize_column(values, field) == [normalize_cell(v, field) for v in values]


def test_column_speed():
    """50,000 rows × 8 columns of a roster well within the read budget."""
    rows = 50_000
    columns = {
        STUDENT_ID: [f"2023{i:06d}" for i in range(rows)],
        NAME: ["张伟", "王芳", "李娜", "刘强"] * (rows // 4),
        FieldSchema("性别", FieldType.CODE, codes=("男", "女")): ["男", "女"] * (rows // 2),
        MAJOR: ["临床医学（5年）", "护理学"] * (rows // 2),
        FieldSchema("校内专业（大类）代码", FieldType.TEXT): ["100201K", "101101"] * (rows // 2),
        FieldSchema("生源类别", FieldType.CODE, codes=("境内", "留学生")): ["境内"] * rows,
        FieldSchema("年级", FieldType.DATE, format="YYYY"): [2020.0, 2021.0, 2022.0, 2023.0]
        * (rows // 4),
        YEAR: [2020.0, 2021.0, 2022.0, 2023.0] * (rows // 4),
    }
    start = time.perf_counter()
    for field, values in columns.items():
        normalize_column(values, field)
    assert time.perf_counter() - start < 0.5  # about 0.06 s on the 2-core reference machine
