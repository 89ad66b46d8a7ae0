package model

// Nearest is the candidate closest to word by edit distance, when one is close enough to be
// what the user meant; commands use it for names given on the command line.
func Nearest(word string, candidates []string) (string, bool) { return nearest(word, candidates) }
