"""Named constants shared by data, models and app (docs/design.md §1).

Coordinates everywhere are pixel indices (x = column, y = row); one pixel is
PIXEL_M metres, so a distance in pixels times PIXEL_M is metres.
"""

MAP_SIZE = 256  # pixels per side of a city environment
PIXEL_M = 1.0  # metres per pixel
N_PIXELS = MAP_SIZE * MAP_SIZE

# RadioMapSeer's 8-bit gray encoding of path gain (linear in dB).
FLOOR_DB = -147.0  # gray 0: gain at or below this floor (and building pixels)
MAX_DB = -47.84  # gray 255
DB_RANGE = MAX_DB - FLOOR_DB  # 99.16 dB

# Sampling rates of the paper, in percent of all MAP_SIZE**2 pixels.
RATES_PERCENT = (0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09, 0.1)
MIN_RATE_PERCENT = 0.01
MAX_RATE_PERCENT = 0.1
MASKS_PER_TX = 5  # random sampling masks per (map, transmitter), as in the paper

SPLITS = ("train", "val", "test")

# Colours of the paper's Fig. 5, used on every page.
SENSOR_COLOR = "#00c853"  # green
PREDICTION_COLOR = "#ffd600"  # yellow
TRUTH_COLOR = "#d50000"  # red
OVERLAP_COLOR = "#ff6d00"  # orange: prediction on the true pixel

OSM_ATTRIBUTION = "© OpenStreetMap contributors (ODbL), openstreetmap.org/copyright"
