"""The published contract (JSON Schema, catalog, rules as data, examples), shipped inside the esledger
package as ``esledger.schemas`` so an installed service reads the same files the repository publishes."""
