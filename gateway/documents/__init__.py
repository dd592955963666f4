"""Printed documents (PDF, A4, Chinese): `sheets` turns the services' JSON into a `layout.Sheet`,
`layout` renders it, `numerals` writes amounts in capital numerals (大写金额)."""
