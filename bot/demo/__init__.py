"""The demo: a generated book of accounts (`book.seed_demo_book`) and a console to try it."""
