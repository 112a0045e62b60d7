"""The ground floor: records, errors, ids, settings, result types, file utilities. Imports nothing else of ours."""
