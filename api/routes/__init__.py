"""One module per resource; each handler translates HTTP into one knowledge-base call."""
