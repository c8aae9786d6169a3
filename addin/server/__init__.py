"""`gkreport serve`: the validator in a browser for clerks and the collection desk for the collecting office."""
