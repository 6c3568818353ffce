"""AppTest of the clusters page."""
from core.data import clean_text


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
