// SPDX-License-Identifier: BSD-2-Clause
/* The log's levels, its journald priorities and its per-site token bucket
 * (user/io/log.c) and the metrics listener's address rules (user/io/ctl.c). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "t.h"
#include "user/io/ctl.h"
#include "user/io/log.h"

#define SEC 1000000000ull

TEST(test_log_levels_parse)
{
	CHECK_EQ(tern_log__parse_level("err"), TERN_LOG_ERR);
	CHECK_EQ(tern_log__parse_level("warn"), TERN_LOG_WARN);
	CHECK_EQ(tern_log__parse_level("info"), TERN_LOG_INFO);
	CHECK_EQ(tern_log__parse_level("debug"), TERN_LOG_DEBUG);
	CHECK_EQ(tern_log__parse_level("warning"), -EINVAL);
	CHECK_EQ(tern_log__parse_level(""), -EINVAL);
	CHECK(!strcmp(tern_log__level_name(TERN_LOG_WARN), "warn"));
}

TEST(test_log_rl_burst_then_suppressed_then_reported)
{
	struct tern_log_rl rl = TERN_LOG_RL_INIT;
	uint64_t t = 100 * SEC;
	uint32_t rep;
	int ok = 0;

	for (int i = 0; i < 100; i++)
		ok += tern_log_rl__take(&rl, t + (uint64_t)i * 1000, &rep);
	CHECK_EQ(ok, TERN_LOG_RL_BURST);
	/* Half an interval later: still no token. */
	CHECK_EQ(tern_log_rl__take(&rl, t + SEC / 2, &rep), 0);
	/* One interval later one token is back; the next message reports the
	 * 91 suppressed so far (90 in the burst, 1 just now). */
	CHECK_EQ(tern_log_rl__take(&rl, t + SEC + 1, &rep), 1);
	CHECK_EQ(rep, 91);
	CHECK_EQ(tern_log_rl__take(&rl, t + SEC + 2, &rep), 0);
	/* A long silence refills the bucket to the burst, no more. */
	ok = 0;
	for (int i = 0; i < 50; i++)
		ok += tern_log_rl__take(&rl, t + 1000 * SEC + (uint64_t)i, &rep);
	CHECK_EQ(ok, TERN_LOG_RL_BURST);
}

TEST(test_ctl_http_addr_loopback_only)
{
	struct tern_ctl_http h;

	CHECK_EQ(tern_ctl__parse_http("127.0.0.1:9100", false, &h), 0);
	CHECK_EQ(tern_ctl__parse_http("127.1.2.3:1", false, &h), 0);
	CHECK_EQ(tern_ctl__parse_http("[::1]:9100", false, &h), 0);
	CHECK_EQ(tern_ctl__parse_http("10.0.0.1:9100", false, &h), -EPERM);
	CHECK_EQ(tern_ctl__parse_http("[fd00::1]:9100", false, &h), -EPERM);
	CHECK_EQ(tern_ctl__parse_http("0.0.0.0:9100", false, &h), -EPERM);
	CHECK_EQ(tern_ctl__parse_http("0.0.0.0:9100", true, &h), 0);
	CHECK_EQ(tern_ctl__parse_http("127.0.0.1", false, &h), -EINVAL);
	CHECK_EQ(tern_ctl__parse_http("127.0.0.1:0", false, &h), -EINVAL);
	CHECK_EQ(tern_ctl__parse_http("127.0.0.1:65536", false, &h), -EINVAL);
	CHECK_EQ(tern_ctl__parse_http("127.0.0.1:-1", false, &h), -EINVAL);
	CHECK_EQ(tern_ctl__parse_http("localhost:80", false, &h), -EINVAL);
	CHECK_EQ(tern_ctl__parse_http("::1:80", false, &h), -EINVAL);
	CHECK_EQ(tern_ctl__parse_http(":80", false, &h), -EINVAL);
}

TEST(test_log_journal_lines_carry_priority)
{
	char buf[64];

	CHECK_EQ(tern_log__format(buf, sizeof(buf), TERN_LOG_ERR, true, "x"), 12);
	CHECK(!strcmp(buf, "<3>Error: x\n"));
	tern_log__format(buf, sizeof(buf), TERN_LOG_WARN, true, "w");
	CHECK(!strcmp(buf, "<4>tern: warning: w\n"));
	tern_log__format(buf, sizeof(buf), TERN_LOG_INFO, true, "i");
	CHECK(!strcmp(buf, "<6>tern: i\n"));
	tern_log__format(buf, sizeof(buf), TERN_LOG_DEBUG, true, "d");
	CHECK(!strcmp(buf, "<7>tern: debug: d\n"));
	tern_log__format(buf, sizeof(buf), TERN_LOG_INFO, false, "i");
	CHECK(!strcmp(buf, "tern: i\n"));
	/* too long: cut, still one line */
	CHECK_EQ(tern_log__format(buf, 8, TERN_LOG_INFO, true, "abcdefgh"), 7);
	CHECK(!strcmp(buf, "<6>ter\n"));
}

TEST(test_log_journal_stream_detected_by_device_and_inode)
{
	char path[] = "/tmp/tern-log-XXXXXX", env[64];
	struct stat st;
	int fd = mkstemp(path), other = open("/dev/null", O_WRONLY);

	REQUIRE(fd >= 0 && other >= 0);
	unlink(path);
	REQUIRE(!fstat(fd, &st));
	unsetenv("JOURNAL_STREAM");
	CHECK(!tern_log__is_journal(fd));
	snprintf(env, sizeof(env), "%ju:%ju", (uintmax_t)st.st_dev, (uintmax_t)st.st_ino);
	setenv("JOURNAL_STREAM", env, 1);
	CHECK(tern_log__is_journal(fd));
	CHECK(!tern_log__is_journal(other)); /* stderr redirected elsewhere */
	snprintf(env, sizeof(env), "%ju:%ju", (uintmax_t)st.st_dev, (uintmax_t)st.st_ino + 1);
	setenv("JOURNAL_STREAM", env, 1);
	CHECK(!tern_log__is_journal(fd));
	snprintf(env, sizeof(env), "%ju:%jux", (uintmax_t)st.st_dev, (uintmax_t)st.st_ino);
	setenv("JOURNAL_STREAM", env, 1);
	CHECK(!tern_log__is_journal(fd));
	setenv("JOURNAL_STREAM", "", 1);
	CHECK(!tern_log__is_journal(fd));
	unsetenv("JOURNAL_STREAM");
	close(fd);
	close(other);
}
