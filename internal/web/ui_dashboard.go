package web

// dashboardArea is the dashboard (GET /).
func (s *server) dashboardArea() area { return area{} }
