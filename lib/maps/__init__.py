"""Maps: style, Leaflet views, URL state, static maps, HTML export and the province brief."""
