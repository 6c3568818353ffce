"""AppTest of the Add texts page (issue 26, item 4): new texts, typed or in a file, take the clusters shown
(edits and names included), with a confidence and a place on the map; those below the threshold are listed
together; the table downloads with the file's own columns."""
from __future__ import annotations

import io

import pandas as pd

from apphelpers import map_charts, spy_downloads

ADD = "pages/add_texts.py"


def ok(at):
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    return at


def test_typed_texts_take_the_edited_clusters_and_their_names(fake_app):
    at = ok(fake_app().run())
    at.switch_page("pages/clusters.py").run()
    at.selectbox(key="edit_rename_cluster").set_value(0)
    at.text_input(key="edit_rename_to").input("Renamed")
    next(b for b in at.button if b.label == "Rename").click().run()
    names = at.session_state["session"].last.names()

    at.switch_page(ADD).run()
    ok(at)
    assert "Upload a file of new texts, or type some" in at.info[0].value
    at.radio(key="add_from").set_value("Typed or pasted").run()
    typed = ["The striker scored twice in the final match of the season",
             "Shares of the bank fell after the quarterly report",
             "zzqx vvbn"]
    at.text_area(key="add_typed").input("\n".join(typed) + "\n\n").run()
    ok(at)
    assert at.subheader[0].value == "3 new texts"
    table = at.dataframe[0].value
    assert list(table["text"]) == typed and set(table["cluster_name"]) <= set(names.values())
    assert table["confidence"].between(0, 1).all()
    new_map = map_charts(at)[-1]
    assert sum(len(t["x"]) for t in new_map["data"]) == 200 + 3  # the old points and the new ones
    assert any("NEW: zzqx vvbn" in text for t in new_map["data"] for text in t["text"])

    at.slider(key="add_threshold").set_value(1.0).run()  # every text is below it: all listed together
    assert at.subheader[-1].value == "Texts that fit no cluster (3)" and len(at.dataframe[-1].value) == 3
    at.slider(key="add_threshold").set_value(0.0).run()
    assert at.subheader[-1].value == "Texts that fit no cluster (0)"
    assert at.session_state["session"].last.names() == names  # nothing was added to the project


def test_a_file_keeps_its_own_columns_and_rows_without_text(fake_app, monkeypatch):
    import streamlit as st

    downloads = spy_downloads(monkeypatch)
    main = st.download_button  # the module's own (bound to the main area), which the spy does not see

    def spy(label, data, *args, **kwargs):
        downloads[label] = data
        return main(label, data, *args, **kwargs)

    monkeypatch.setattr(st, "download_button", spy)
    at = ok(fake_app().run())
    at.switch_page(ADD).run()
    frame = pd.DataFrame({"when": ["2024-05-01", "2024-05-02", "2024-05-03"],
                          "title": ["Rocket launch delayed by storm", "", "Election results announced"],
                          "description": ["The launch moved to next week", "", "Votes were counted overnight"]})
    at.file_uploader(key="add_file").set_value(("new.csv", frame.to_csv(index=False).encode(), "text/csv")).run()
    ok(at)
    assert at.subheader[0].value == "2 new texts" and "1 rows without text left out" in at.caption[1].value
    out = pd.read_csv(io.StringIO(next(v for k, v in downloads.items() if k.startswith("Download the new texts"))))
    assert list(out.columns[:3]) == ["when", "title", "description"]
    assert list(out.columns[3:]) == ["cluster", "cluster_name", "confidence", "x", "y"]
    assert out["cluster"].isna().tolist() == [False, True, False]
