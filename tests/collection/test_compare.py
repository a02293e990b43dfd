"""compare_rows: which rows of two versions were added, removed and changed, cell by cell."""

from collection.services.compare import CellChange, compare_rows

HEADERS = ["学号", "学生姓名", "性别"]


def test_rows_with_a_unique_key_are_matched_by_it_wherever_they_are():
    old = [["1", "李明", "男"], ["2", "王芳", "女"], ["3", "赵强", "男"]]
    new = [["3", "赵强", "男"], ["2", "王芳芳", "女"], ["4", "孙丽", "女"]]
    result = compare_rows(HEADERS, old, HEADERS, new, key_fields=("学号",))
    assert result.key_fields == ("学号",)
    assert [r.values[0] for r in result.added] == ["4"]
    assert [r.values[0] for r in result.removed] == ["1"]
    assert result.unchanged == 1
    [changed] = result.changed
    assert (changed.old_index, changed.new_index) == (1, 1)
    assert changed.cells == (CellChange("学生姓名", "王芳", "王芳芳"),)
    assert not result.is_same


def test_without_a_key_rows_are_matched_by_their_whole_content():
    old = [["1", "李明", "男"], ["1", "李明", "男"], ["2", "王芳", "女"]]
    new = [["2", "王芳", "女"], ["1", "李明", "男"], ["2", "王芳", "男"]]
    result = compare_rows(HEADERS, old, HEADERS, new)
    assert result.key_fields == ()
    assert result.unchanged == 2  # one 李明 and 王芳 pair up; duplicates pair one to one
    assert result.changed == []
    assert [(r.index, r.values) for r in result.added] == [(2, ("2", "王芳", "男"))]
    assert [(r.index, r.values) for r in result.removed] == [(1, ("1", "李明", "男"))]


def test_duplicate_or_blank_keys_fall_back_to_content_matching():
    old = [["1", "李明", "男"], ["1", "王芳", "女"], ["", "无号", "男"]]
    new = [["1", "李明", "男"], ["1", "王芳", "男"], ["", "无号", "男"]]
    result = compare_rows(HEADERS, old, HEADERS, new, key_fields=("学号",))
    assert result.unchanged == 2
    assert [r.values[1] for r in result.added] == ["王芳"]
    assert [r.values[1] for r in result.removed] == ["王芳"]
    assert result.changed == []


def test_single_record_tables_compare_their_one_row_field_by_field():
    headers = ["总数", "境内数量"]
    result = compare_rows(headers, [["3", "2"]], headers, [["4", "2"]], single=True)
    assert [c.cells for c in result.changed] == [(CellChange("总数", "3", "4"),)]
    assert result.added == result.removed == []
    first = compare_rows(headers, [], headers, [["4", "2"]], single=True)
    assert [r.values for r in first.added] == [("4", "2")]


def test_columns_are_paired_by_header_and_a_missing_column_is_empty():
    old_headers = ["学号", "学生姓名"]
    new = [["1", "男", "李明"]]
    result = compare_rows(
        old_headers, [["1", "李明"]], ["学号", "性别", "学生姓名"], new, key_fields=("学号",)
    )
    assert result.headers == ["学号", "性别", "学生姓名"]
    assert result.changed[0].cells == (CellChange("性别", "", "男"),)
    # A key column missing in one version: matched by content instead.
    other = compare_rows(["学生姓名"], [["李明"]], HEADERS, new, key_fields=("学号",))
    assert other.key_fields == ()


def test_identical_versions_are_the_same():
    rows = [["1", "李明", "男"]]
    result = compare_rows(HEADERS, rows, HEADERS, [list(r) for r in rows], key_fields=("学号",))
    assert result.is_same and result.unchanged == 1
