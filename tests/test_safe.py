"""Text from data and users shown literally (pages/_safe.py): no links, emoji, icons or colours, the
same characters on screen. The pages' use of it is checked in their AppTest modules."""
import pytest

from markupkit import live_links, markup


@pytest.mark.parametrize("name", ["https://evil.example/x.csv", "see http://a.b/c", "WWW.evil.example",
                                  "www.evil.example/data.csv", "write to me@evil.example"])
def test_plain_leaves_no_bare_address_to_link(name):
    from pages._safe import plain

    assert live_links(name), "the pattern should see the raw name as a link"
    shown = plain(name)
    assert live_links(shown) == [], shown
    assert shown.replace("\u2060", "").replace("\\", "") == name  # the same characters on screen


@pytest.mark.parametrize("name", [":rocket:", "go :material/rocket_launch: now", ":red[alert]", ":+1: ok",
                                  ":blue-background[x]", "Money:markets :100:"])
def test_plain_leaves_no_shortcode_icon_or_colour(name):
    from pages._safe import plain

    assert markup(name), "the pattern should see the raw name's markup"
    shown = plain(name)
    assert markup(shown) == [], shown
    assert shown.replace("\u2060", "").replace("\\", "") == name  # the same characters on screen


@pytest.mark.parametrize("name", ["3: :rocket:", "12: go :material/home: now", "0: :red[x]", "7:rocket:"])
def test_a_cluster_name_keeps_its_id_and_colon_and_renders_no_markup(name):
    from pages._safe import plain_name

    shown = plain_name(name)
    assert markup(shown) == [] and shown.replace("\u2060", "").replace("\\", "") == name
    if name.startswith("3: "):
        assert shown.startswith("3: ")  # read as typed, and by tests that split the header at its colon
