"""AppTest of the clusters page."""
from core.tables.data import clean_text


def test_sections_search_and_focus(fake_app):
    at = fake_app()
    at.switch_page("pages/clusters.py").run()
    assert not at.exception and not at.error
    sections = [e for e in at.main.expander]
    assert len(sections) == 4 and all(e.label.startswith("Cluster ") for e in sections)
    sizes = [int(e.label.rsplit("·", 1)[1].split()[0].replace(",", "")) for e in sections]
    assert sum(sizes) == 200
    assert len(at.main.dataframe) == 4

    first = at.main.dataframe[0].value
    word = first["title"].iloc[0].split()[0]
    at.text_input(key="search:0").input(word).run()
    filtered = at.main.dataframe[0].value
    assert 0 < len(filtered) <= len(first)
    assert filtered["text"].str.contains(word, case=False, regex=False).all()

    at.session_state["focus_cluster"] = 2
    at.run()
    assert [e.proto.expanded for e in at.main.expander] == [False, False, True, False]


def test_article_text_is_shown_literally(fake_app, tmp_path):
    rows = ["<script>alert(1)</script> markets rally", "[click me](http://evil.example) stocks fall",
            "<b>bold</b> football final", "**markdown** tennis open", "plain rain forecast", "plain sun forecast"]
    path = tmp_path / "hostile.csv"
    path.write_text("title,description\n" + "\n".join(f'"{r}","{r} today"' for r in rows) + "\n")
    at = fake_app(data=str(path))
    at.switch_page("pages/clusters.py").run()
    assert not at.exception
    shown = [t.value for t in at.main.text]
    headlines = {s[2:] for s in shown if s.startswith("• ")}
    expected = {clean_text(r) for r in rows}  # "<b>" is a crawl's tag and goes; "<script>" and Markdown stay, as text
    assert headlines <= expected and headlines  # st.text: never Markdown or HTML
    assert not any("<script>" in m.value for m in at.main.markdown)


def test_77_clusters_stay_usable_the_map_named_the_sections_paged_and_searchable(fake_app, tmp_path):
    """Issue 27, item 3: at k = 77 (typed into the number box) the map has a legend entry and a zoom box
    per cluster and names the largest ones, the Clusters page shows 20 sections a page with a search
    over names and keywords, and the focused cluster's page opens."""
    import numpy as np

    from apphelpers import map_charts

    rng = np.random.default_rng(0)
    vocab = ["qz" + chr(97 + i // 26) + chr(97 + i % 26) for i in range(80 * 6)]  # letters: the fake embedder's words
    rows = [" ".join(rng.choice(vocab[6 * t: 6 * t + 6], 4)) + f" extra{i}" for t in range(80) for i in range(5)]
    path = tmp_path / "many.csv"
    path.write_text("text\n" + "\n".join(rows) + "\n")  # 400 texts of 80 small topics
    at = fake_app(data=str(path))
    at.run()
    at.sidebar.number_input(key="k_box").set_value(77).run()
    assert not at.exception and not at.error and at.sidebar.slider(key="k").value == 77
    figure = map_charts(at)[0]
    assert len([t for t in figure["data"] if t.get("showlegend", True)]) == 77 and len(figure["groups"]) == 77
    assert 10 <= len(figure["labels"]) <= 77
    assert any("77 clusters, 40 distinct colours: clusters are coloured by their group of 38" in c.value
               for c in at.caption)  # the tree's upper level (pages/_tree.py)

    at.switch_page("pages/clusters.py").run()
    assert not at.exception and not at.error
    assert len(at.main.expander) == 20 and at.number_input(key="clusters_page").max == 4
    view = at.session_state["session"].last
    keyword = view.summary(50).keywords[0]
    at.text_input(key="clusters_find").input(keyword).run()
    assert 1 <= len(at.main.expander) <= 20
    assert any(e.label.replace("\\", "").startswith("Cluster 50:") for e in at.main.expander)
    at.text_input(key="clusters_find").input("").run()
    at.session_state["focus_cluster"] = 65
    at.run()
    assert at.number_input(key="clusters_page").value == 4
    assert [e.label.split(":")[0] for e in at.main.expander if e.proto.expanded] == ["Cluster 65"]


# -- names from users and data render as text, here and on the other pages -----------------------------
def rendered_text(at) -> list[str]:
    """Every string the page hands to Streamlit's Markdown: bodies, headings, labels, options."""
    out = [e.value for kind in ("markdown", "caption", "error", "warning", "info", "success", "subheader", "title")
           for e in at.get(kind)]
    out += [e.label for kind in ("expander", "button", "metric", "text_input", "multiselect", "selectbox", "radio",
                                 "slider", "toggle", "number_input") for e in at.get(kind)]
    out += [o for e in at.get("radio") for o in e.options]  # radio options are Markdown too
    out += [e.proto.label for e in at.get("page_link")]
    return out


def test_names_from_users_and_data_render_as_text_on_every_page(fake_app, tmp_path):
    """Issue 28: a cluster renamed to a bare URL became a live link in the Clusters page's headers, and
    ``:rocket:`` or ``:material/...:`` rendered as icons there, in the map's link to the Clusters page,
    in link notices, the search caption and column names."""
    import numpy as np
    import pandas as pd

    from apphelpers import select_on_map, shown
    from clikit import topic_csv
    from markupkit import markup

    name = "see https://evil.example :rocket: :material/home:"
    column = ":material/warning: source www.evil.example"
    frame = pd.read_csv(topic_csv(tmp_path))
    frame[column] = ["a", "b"] * (len(frame) // 2)
    path = tmp_path / "topics.csv"
    frame.to_csv(path, index=False)
    at = fake_app(data=str(path))
    at.query_params = {"colour": ":material/home: nope"}  # a link's colour this data has not: a notice
    at.run()
    assert not at.exception and at.warning
    seen = rendered_text(at)

    at.switch_page("pages/clusters.py").run()
    at.selectbox(key="edit_rename_cluster").set_value(0)
    at.text_input(key="edit_rename_to").input(name)
    next(b for b in at.button if b.label == "Rename").click().run()
    assert not at.exception and not at.error
    seen += rendered_text(at)

    at.switch_page("pages/map.py").run()
    at.text_input(key="search_words").input(":rocket: orbit").run()
    _, labels = shown(at)
    select_on_map(at, [int(r) for r in np.flatnonzero(labels == 0)[:5]])  # cluster 0 leads the link
    at.run()
    assert not at.exception and not at.error
    seen += rendered_text(at)
    assert any("Open the selection and cluster 0" in t and "evil" in t for t in seen)  # the name is shown ...
    assert any("warning" in t for t in seen) and any("orbit" in t for t in seen)  # ... the column, the search
    theirs = [t for t in seen if markup(t) and any(w in t for w in ("rocket", "home", "warning", "evil"))]
    assert theirs == []  # ... as text (the app's own icons aside)
