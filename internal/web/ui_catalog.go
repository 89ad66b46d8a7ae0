package web

// catalogArea is the catalog's lists and object pages.
func (s *server) catalogArea() area { return area{} }
