"""`obsgen verify`: run every generated dashboard and rule query against live backends."""
