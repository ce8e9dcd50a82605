"""The live board: every post in the reader's scope with who should be there and who is, for
stations, schools, the bureau and the command-centre wall."""
