package web

// planArea is the plan pages and the binder download.
func (s *server) planArea() area { return area{} }
