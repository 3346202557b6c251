# man pages: one line per page
