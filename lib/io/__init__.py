"""Reading and writing files: the one sheet reader, the one atomic writer, export formats, escaping."""
