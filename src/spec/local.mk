# spec module: sources are listed here by the module's owner
