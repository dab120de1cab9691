"""What every figure file shares: its resolution, the column's width, the colour map of values, and the
metadata its encoders leave out. No matplotlib here, so that a module drawing one picture imports no more than
it needs (report/channel_picture.py, in the notebook's kernel)."""

DPI = 100
# Every figure with words is at most this wide (inches), with no text under 12 points: a phone's column
# (about 340 CSS px) shows it at no less than 10 px text (tests/test_figure_size_browser.py).
COLUMN_WIDTH = 5.2
SEQUENTIAL = "viridis"  # the colour map of a map's values
PNG_METADATA = {"Software": None}
SVG_METADATA = {"Date": None, "Creator": None}  # no date; no version string, which an upgrade would change
SVG_SETTINGS = {"svg.fonttype": "none", "svg.hashsalt": "resnet18-report", "svg.image_inline": True}
