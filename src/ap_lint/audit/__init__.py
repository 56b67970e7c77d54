"""Compliance over time: the register as it stood on a day (``check --as-of``) and every breach over a period
(``audit``), read from the main line of its git history."""
