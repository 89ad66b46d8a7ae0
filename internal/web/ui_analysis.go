package web

// analysisArea is the business impact analysis and what-if pages.
func (s *server) analysisArea() area { return area{} }
