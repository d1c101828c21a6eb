// SPDX-License-Identifier: BSD-2-Clause
#include <string.h>

#include "app.h"

static const struct tern_app *const apps[] = {
	&tern_app_echo,
	&tern_app_discard,
	&tern_app_http,
	&tern_app_proxy,
};

const struct tern_app *tern_app__find(const char *name)
{
	for (size_t i = 0; i < sizeof(apps) / sizeof(apps[0]); i++)
		if (!strcmp(apps[i]->name, name))
			return apps[i];
	return NULL;
}
