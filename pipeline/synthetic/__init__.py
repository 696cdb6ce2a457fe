"""The synthetic 311 history (`python -m pipeline generate`): demo data for a first start without
the city's API (pipeline/bootstrap.py) and the benchmarks' input, kept apart from the product's
core because nothing on the data's way from an export to a page depends on it.

generate.py writes the file; rows.py draws a chunk of rows; timeline.py spreads them over days and
prints New York times; mix.py and complaints.py hold the calibration; mix_arrays.py turns it into
numpy arrays; places.py the points inside each ZIP; layout.py the two export layouts."""
