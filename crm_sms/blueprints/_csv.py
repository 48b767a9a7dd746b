"""Every CSV download goes through here: cells a spreadsheet would run are made inert, and rows stream out.

A view hands over a header and a generator of rows that runs its own query (in chunks, ``yield_per``) only when
iterated: the query then runs inside the streamed response, and no export is ever built whole in memory.
"""

import csv
import io

from flask import Response, stream_with_context

#: A text cell starting with one of these is a formula (or the start of one) to Excel, LibreOffice and Sheets;
#: "+" and "-" included, so an E.164 number is exported as text too.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: Rows written before a piece of the response is sent: fewer, larger writes without holding much.
ROWS_PER_PIECE = 500


def cell(value):
    """A value as a spreadsheet should show it: text that could run as a formula gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_response(filename, header, rows):
    """A streamed ``text/csv`` download of ``header`` and then ``rows``, every cell through :func:`cell`."""
    return Response(
        stream_with_context(_lines(header, rows)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _lines(header, rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([cell(value) for value in header])
    yield _taken(buffer)  # the download starts at once, before the query runs
    for number, row in enumerate(rows, 1):
        writer.writerow([cell(value) for value in row])
        if number % ROWS_PER_PIECE == 0:
            yield _taken(buffer)
    yield _taken(buffer)


def _taken(buffer):
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text
