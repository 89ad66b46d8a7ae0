package web

// editArea is the editing forms.
func (s *server) editArea() area { return area{} }
