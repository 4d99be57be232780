"""Quizzes: YAML and Moodle GIFT files, attempts graded on the server, review, and the lead's view of results."""
