"""Git: the register's history as its audit trail, and the scope of a change (a pull request, a commit)."""
