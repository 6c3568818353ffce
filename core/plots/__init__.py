"""Figures and what they are drawn with: Plotly figures, the palette, labels placed on the map,
which points a map draws and what each carries to the browser.

The names below are the package's public face: the pages draw with them (``from core.plots import
map_figure``); the modules behind them are its own business."""
from core.plots.map_labels import Frame, Label, extent, group_boxes, place_labels
from core.plots.map_points import hover_buffer, hover_titles
from core.plots.palette import DISTINCT
from core.plots.plots import (CHART_CONFIG, category_colours, colour, confusion_figure, group_colour, label_colours,
                              loss_figure, map_figure, numeric_map_figure, sweep_figure)

__all__ = ["CHART_CONFIG", "DISTINCT", "Frame", "Label", "category_colours", "colour", "confusion_figure", "extent",
           "group_boxes", "group_colour", "hover_buffer", "hover_titles", "label_colours", "loss_figure", "map_figure",
           "numeric_map_figure", "place_labels", "sweep_figure"]
