"""AppTest of topics over time on the Map page: the chart with a dated file, none without."""
import json

import numpy as np
import pandas as pd

from test_app_columns import array, upload_bytes, uploaded  # noqa: F401 (upload_bytes: a fixture)


def time_charts(at) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart") if c.proto.id and "time_chart" in c.proto.id]


def test_a_dated_file_gets_each_clusters_share_over_time_and_an_undated_one_none(fake_app, upload_bytes):
    frame, _ = upload_bytes
    at = uploaded(fake_app, upload_bytes)
    (chart,) = time_charts(at)
    view = at.session_state["session"].last
    assert [t["name"] for t in chart["data"]] == [view.name(c) for c in view.ids]  # a curve per cluster, named
    assert all(t["stackgroup"] == "shares" for t in chart["data"])
    assert chart["layout"]["dragmode"] == "select" and chart["layout"]["selectdirection"] == "h"  # a time brush
    shares = np.array([array(t["y"]) for t in chart["data"]])
    assert shares.shape == (view.k, 49)  # 1 January to 18 February: by day, the empty days too
    days = pd.to_datetime(chart["data"][0]["x"])
    dated = days.isin(pd.to_datetime(frame["day"]))
    assert dated.sum() == 36
    np.testing.assert_allclose(shares[:, dated].sum(axis=0), 1.0)  # each day's shares add up to all its texts
    assert (shares[:, ~dated] == 0).all()
    assert any("each cluster's share of the texts of each day" in m.value for m in at.markdown)

    at2 = fake_app()  # the demo-like file has no dates
    at2.run()
    assert not at2.exception and not time_charts(at2)
    assert not any("Clusters over time" in m.value for m in at2.markdown)


def test_texts_of_a_single_day_are_drawn_as_markers(fake_app, upload_bytes):
    """One bin has no line to draw (a line needs two points): each cluster's share shows as a marker."""
    frame, _ = upload_bytes
    one_day = frame.assign(day=frame["day"].iloc[0])
    at = uploaded(fake_app, (one_day, one_day.to_csv(index=False).encode()))
    (chart,) = time_charts(at)
    assert all(len(t["x"]) == 1 and "markers" in t["mode"] for t in chart["data"])
