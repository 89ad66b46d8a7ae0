package web

// mapArea is the dependency map.
func (s *server) mapArea() area { return area{} }
