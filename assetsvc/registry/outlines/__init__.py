"""District outlines (区划边界): the office's GeoJSON of its districts, drawn under the cameras on the map."""
