package model

import (
	"fmt"
	"strings"
)

// maxSuggestLen bounds the words the suggester compares: edit distance is quadratic, and a
// name longer than this is not a typo of a short one anyway.
const maxSuggestLen = 100

// nearest returns the candidate closest to word by edit distance, when it is close enough to
// be a likely typo: at most a third of the word's length, and at least 1, 2 for longer words.
// Ties go to the earlier candidate so suggestions are stable. A case-only difference always
// wins, since `service` for `Service` is the commonest slip.
func nearest(word string, candidates []string) (string, bool) {
	if word == "" || len(word) > maxSuggestLen {
		return "", false
	}
	for _, c := range candidates {
		if c != word && strings.EqualFold(c, word) {
			return c, true
		}
	}
	limit := len(word) / 3
	if limit < 1 {
		limit = 1
	}
	if limit > 2 && len(word) < 12 {
		limit = 2
	}
	best, bestD := "", limit+1
	for _, c := range candidates {
		if c == word || len(c) > maxSuggestLen || abs(len(c)-len(word)) >= bestD {
			continue
		}
		if d := editDistance(word, c, bestD); d < bestD {
			best, bestD = c, d
		}
	}
	// A word replaced whole is no typo: `a` is not a misspelt `s`.
	return best, best != "" && bestD < len(word)
}

// didYouMean is the ", did you mean `x`?" tail of a message, or "" without a close candidate.
func didYouMean(word string, candidates []string) string {
	if s, ok := nearest(word, candidates); ok {
		return fmt.Sprintf(", did you mean `%s`?", s)
	}
	return ""
}

// editDistance is the optimal string alignment distance between a and b (bytes: names are
// ASCII): insertions, deletions, substitutions and swaps of neighbours, the commonest typo
// (`onwer`). It returns any value >= bound once the distance is certain to reach bound, which
// keeps a scan over many names cheap.
func editDistance(a, b string, bound int) int {
	// Three rows: the swap looks two rows back.
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
			rowMin = min(rowMin, cur[j])
		}
		if rowMin >= bound {
			return bound
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// quoteList writes values as `a`, `b` or `c` for messages that list what is allowed.
func quoteList(values []string) string {
	var b strings.Builder
	for i, v := range values {
		switch {
		case i == 0:
		case i == len(values)-1:
			b.WriteString(" or ")
		default:
			b.WriteString(", ")
		}
		b.WriteString("`" + v + "`")
	}
	return b.String()
}
