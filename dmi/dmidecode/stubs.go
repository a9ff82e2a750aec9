package dmidecode

func (p *printer) type5(d fields, l int)                        {}
func (p *printer) type6(d fields, l int, str func(int) string)  {}
func (p *printer) type7(d fields, l int, str func(int) string)  {}
func (p *printer) type8(d fields, l int, str func(int) string)  {}
func (p *printer) type9(d fields, l int, str func(int) string)  {}
func (p *printer) type10(s any, d fields, l int)                {}
func (p *printer) type13(d fields, l int, str func(int) string) {}
func (p *printer) type20(d fields, l int)                       {}
func (p *printer) type38(d fields, l int)                       {}
func (p *printer) type41(d fields, l int, str func(int) string) {}
