"""The clusters' palette: 40 colours a person can tell apart, as its generator makes them."""
from core.plots import palette
from core.plots.plots import PALETTE, colour

#: The smallest CIELAB distance (ΔE*ab) allowed between two of the 40 cluster colours. About ten
#: just-noticeable differences (2.3 each); the nine seed colours (Tableau's) are 30.6 apart at closest,
#: and no 40 colours in the allowed lightness and chroma keep that; the old 20-colour palette had two
#: oranges (#F58518, #FF7F0E) 7.4 apart.
FLOOR = 24.0


def test_the_40_cluster_colours_are_at_least_24_apart_in_cielab():
    distance, a, b = palette.closest_pair(PALETTE[:40])
    print(f"\nsmallest CIELAB distance between two of the {len(PALETTE)} cluster colours: {distance:.1f} ({a}, {b})")
    assert len(set(PALETTE)) == 40 and distance >= FLOOR, (distance, a, b)
    old = ["#4C78A8", "#F58518", "#54A24B", "#E45756", "#72B7B2", "#B279A2", "#FF9DA6", "#9D755D", "#BAB0AC",
           "#EECA3B", "#1F77B4", "#8C564B", "#17BECF", "#BCBD22", "#7F7F7F", "#D62728", "#9467BD", "#2CA02C",
           "#FF7F0E", "#AEC7E8"]
    assert palette.closest_pair(old)[0] < 8  # what the map had: the measure tells them apart


def test_colours_read_on_light_and_dark_pages_and_are_not_the_grey_of_missing_values():
    lab = palette.srgb_to_lab(palette.hex_to_rgb(PALETTE))
    added = lab[len(palette.SEEDS):]  # the seeds are Tableau's (its yellow is L* 82)
    assert (added[:, 0] >= 39.5).all() and (added[:, 0] <= 80.5).all()  # L*: neither near white nor near black
    assert (lab[:, 0] >= 39.5).all() and (lab[:, 0] <= 83).all()
    grey = palette.srgb_to_lab(palette.hex_to_rgb(["#BAB0AC"]))[0]
    assert (((lab - grey) ** 2).sum(axis=1) ** 0.5).min() > 20


def test_the_committed_palette_is_what_the_generator_makes_and_colours_repeat_above_40():
    assert palette.glasbey(40) == palette.PALETTE
    assert colour(0) == PALETTE[0] and colour(39) == PALETTE[39] and colour(40) == PALETTE[0]
