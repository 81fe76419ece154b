"""Map layers of areas: their centroids with their figures, as GeoJSON."""
