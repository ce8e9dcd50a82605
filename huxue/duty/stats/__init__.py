"""Person-times and duty hours: the figures by place and period (``selectors``), the check-ins
behind each figure and their Excel exports (``views``)."""
