"""CSV files written for spreadsheets (core.tables.csv_export): a cell that a spreadsheet would run as a
formula is neutralised; numbers stay numbers."""
import io

import pandas as pd

from clikit import FAST

FORMULAS = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+2", "-2+3 cmd", "@SUM(A1)", "\t=1+1"]


def test_safe_csv_neutralises_formulas_and_keeps_numbers():
    from core.tables.csv_export import safe_csv

    frame = pd.DataFrame({"text": FORMULAS + ["plain", "a = b"], "x": [-1.5] * 7, "cluster": [-1] * 7,
                          "label": ["-1", "+2", "-0.5", "1e-3", "-", "-1-1", "@"]})
    back = pd.read_csv(io.StringIO(safe_csv(frame)), keep_default_na=False, dtype=str)
    assert back["text"].tolist() == [f"'{f}" for f in FORMULAS] + ["plain", "a = b"]
    assert back["x"].tolist() == ["-1.5"] * 7 and back["cluster"].tolist() == ["-1"] * 7
    assert back["label"].tolist() == ["-1", "+2", "-0.5", "1e-3", "'-", "'-1-1", "'@"]


def test_the_cli_export_neutralises_formulas(cli, tmp_path):
    rows = [f"{f} team game match {i}" for i, f in enumerate(FORMULAS)] * 2
    rows += [f"rocket orbit planet {i}" for i in range(10)]
    pd.DataFrame({"text": rows}).to_csv(tmp_path / "f.csv", index=False)
    result = cli("run", "--data", "f.csv", "--k", "2", *FAST, "--out", "out")
    assert result.rc == 0, result.stderr
    cells = pd.read_csv(tmp_path / "out" / "assignments.csv")["text"].tolist()
    assert not any(c.startswith(("=", "+", "-", "@", "\t")) for c in cells)
    assert sum(c.startswith("'") for c in cells) == 10
