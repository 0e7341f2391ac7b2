"""The Go text/tabwriter port: column blocks, padding, minimum width, remembered widths."""

from kubelab.cli.render.tabwriter import TabWriter, describe_writer, table_writer


def test_table_columns_padded_by_three_last_cell_not_padded():
    text = "NAME\tREADY\tAGE\nweb-0\t1/1\t5s\nlonger-name-1\t0/1\t10m\n"
    assert table_writer().format(text) == (
        "NAME            READY   AGE\n"
        "web-0           1/1     5s\n"
        "longer-name-1   0/1     10m\n")


def test_minimum_width_six():
    assert table_writer().format("A\tB\nx\ty\n") == "A     B\nx     y\n"


def test_empty_cells_are_padded():
    assert table_writer().format("NAME\tVOLUME\tAGE\ndata\t\t1s\n") == "NAME   VOLUME   AGE\ndata            1s\n"


def test_a_line_without_tabs_ends_the_column_block():
    # describe's famous realignment after `IPs:`
    text = "Name:\tweb-0\nIPs:\n  IP:\t10.0.0.1\nControlled By:\tStatefulSet/web\n"
    assert describe_writer().format(text) == (
        "Name:  web-0\n"
        "IPs:\n"
        "  IP:           10.0.0.1\n"
        "Controlled By:  StatefulSet/web\n")


def test_nested_blocks_align_independently():
    text = "a\tb\tc\naaaa\tb\nx\tyyyy\tz\n"
    # column 0 spans all three lines; column 1 only the first line (the second has no cell there),
    # then a new block for column 1 begins on the third line.
    assert TabWriter(0, 8, 1).format(text) == "a    b c\naaaa b\nx    yyyy z\n"


def test_remembered_widths_across_calls():
    w = table_writer()
    first = w.format("NAME\tSTATUS\nweb-0\tPending\n")
    later = w.format("a\tRunning\n")
    assert first == "NAME    STATUS\nweb-0   Pending\n"
    assert later == "a       Running\n"


def test_text_without_trailing_newline_and_empty():
    assert TabWriter(0, 8, 1).format("a\tb") == "a b"
    assert TabWriter().format("") == ""
