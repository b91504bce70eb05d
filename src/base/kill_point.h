// Kill points: named places where a test can make cutover die as `kill -9`
// would, to prove what survives a crash at exactly that place
// (docs/reliability.md, "Kill and fault matrix").
//
// CUTOVER_KILL_POINT("snapshot.schema-written") marks one. The code exists
// only in test builds (CMake option CUTOVER_TEST_HOOKS, on when the tests are
// built); elsewhere the macro is empty and the variable below means nothing.
//
// In a test build, the environment variable CUTOVER_KILL_AT=<point> makes the
// first arrival at <point> kill the process with SIGKILL; <point>#<n> the
// n-th arrival (a point inside a loop: the n-th chunk, batch or statement).
// Before dying it writes "cutover: test hook: killed at <point>" to stderr,
// so a test can tell its kill landed there and not somewhere else. Nothing is
// flushed or cleaned up: that is the point.
//
// CUTOVER_PAUSE_AT=<point>[#<n>] instead makes that arrival sleep for
// CUTOVER_PAUSE_MS milliseconds (default 3000) between "paused at <point>"
// and "resumed at <point>" on stderr: the window in which a test drops the
// process's database sessions from the server side.
//
// Every point is listed in docs/reliability.md with what must hold after a
// kill there; kill_matrix_test kills at each one on every engine.
#pragma once

#ifdef CUTOVER_TEST_HOOKS

namespace cutover {
// Kills or pauses the process if CUTOVER_KILL_AT or CUTOVER_PAUSE_AT names
// this point and arrival.
void KillPoint(const char* name);
}  // namespace cutover

#define CUTOVER_KILL_POINT(name) ::cutover::KillPoint(name)

#else

#define CUTOVER_KILL_POINT(name) ((void)0)

#endif
