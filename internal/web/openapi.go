package web

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strconv"

	"github.com/danielgtaylor/huma/v2"
)

// finishOpenAPI completes the document huma built from the routes: the two ways to
// authenticate, and Perdura's problem document as every error answer (huma would describe
// its own error model, which this server never sends). It returns the rendered document.
func (s *server) finishOpenAPI() []byte {
	oapi := s.api.OpenAPI()
	if oapi.Components.SecuritySchemes == nil {
		oapi.Components.SecuritySchemes = map[string]*huma.SecurityScheme{}
	}
	oapi.Components.SecuritySchemes["session"] = &huma.SecurityScheme{
		Type: "apiKey", In: "cookie", Name: sessionCookie,
		Description: "The browser session from POST /api/v1/login. Unsafe methods also need the session's CSRF token in the " + csrfHeader + " header.",
	}
	oapi.Components.SecuritySchemes["bearer"] = &huma.SecurityScheme{
		Type: "http", Scheme: "bearer",
		Description: "An API token (pdr_<id>_<secret>) from POST /api/v1/tokens. No CSRF token needed.",
	}
	reg := oapi.Components.Schemas
	problemSchema := reg.Schema(reflect.TypeFor[Problem](), true, "Problem")
	for _, r := range s.routes {
		op := operation(oapi, r.method, r.path)
		if op == nil {
			panic("web: route " + r.method + " " + r.path + " is not in the OpenAPI document")
		}
		for code := range op.Responses {
			if n, err := strconv.Atoi(code); code == "default" || err == nil && n >= 400 {
				delete(op.Responses, code)
			}
		}
		// RawBody fields (the object routes keep the request's bytes) make huma offer
		// application/octet-stream too; the API takes JSON only.
		if op.RequestBody != nil {
			delete(op.RequestBody.Content, "application/octet-stream")
			// The types requireJSON lets through, and no other.
			if js := op.RequestBody.Content["application/json"]; js != nil {
				for _, t := range bodyTypes(r.method) {
					op.RequestBody.Content[t] = js
				}
			}
		}
		switch r.id {
		case "metrics":
			op.Responses["200"].Content = map[string]*huma.MediaType{"text/plain": {Schema: &huma.Schema{Type: "string"}}}
		case "openapi":
			op.Responses["200"].Content = map[string]*huma.MediaType{"application/openapi+json": {Schema: &huma.Schema{Type: "object"}}}
		}
		for _, code := range routeErrors(r, op.RequestBody != nil, len(op.Parameters) > 0) {
			op.Responses[strconv.Itoa(code)] = &huma.Response{
				Description: http.StatusText(code),
				Content:     map[string]*huma.MediaType{"application/problem+json": {Schema: problemSchema}},
			}
		}
	}
	delete(reg.Map(), "ErrorModel")
	delete(reg.Map(), "ErrorDetail")
	b, err := json.Marshal(oapi)
	if err != nil {
		panic("web: render the OpenAPI document: " + err.Error())
	}
	return b
}

// operation finds an operation in the document.
func operation(oapi *huma.OpenAPI, method, path string) *huma.Operation {
	item := oapi.Paths[path]
	if item == nil {
		return nil
	}
	switch method {
	case http.MethodGet:
		return item.Get
	case http.MethodPost:
		return item.Post
	case http.MethodPut:
		return item.Put
	case http.MethodPatch:
		return item.Patch
	case http.MethodDelete:
		return item.Delete
	}
	return nil
}

type rawOutput struct {
	ContentType string `header:"Content-Type"`
	Body        []byte
}

func (s *server) openapi(context.Context, *struct{}) (*rawOutput, error) {
	return &rawOutput{ContentType: "application/openapi+json", Body: s.spec}, nil
}
