// Package sysv reads what a System V init system would start, from disk: the
// init scripts in /etc/init.d with their LSB headers, the S and K links in
// /etc/rc{0..6,S}.d that order them per runlevel, and the current runlevel
// that init recorded in /run/utmp.
//
// The header format is the LSB Core specification's "Comment Conventions for
// Init Scripts" (LSB 3.2 §20.3): a block between the lines "### BEGIN INIT
// INFO" and "### END INIT INFO" of lines "# Keyword: arguments", where a line
// after Description whose '#' is followed by a tab or more than one space
// continues it. Debian adds the X-Start-Before, X-Stop-After and X-Interactive
// keywords (insserv(8)). The links follow Debian's update-rc.d(8) and
// insserv(8): /etc/rcN.d/SNNname or KNNname, a symbolic link to
// ../init.d/name, run by init in NN order with "start" (S) or "stop" (K) on
// entering runlevel N. The utmp record is glibc's struct utmp (utmp(5)).
//
// What is not a service: in /etc/init.d, hidden files (insserv's .depend.*
// among them), README, skeleton, rc and rcS (the runlevel drivers), functions
// (Red Hat's shell library) and the backup copies package managers and
// editors leave (*.dpkg-old, *.dpkg-new, *.dpkg-dist, *.ucf-*, *.rpmnew, *~
// and the like, see skipName). In /etc/rcN.d, anything not named [SK]NN*
// (Debian ships a README in each). Scripts named *.sh are services: Debian's
// rcS scripts are.
//
// A script without an LSB header is still listed, with its header fields
// empty and an error wrapping ErrNoHeader: Debian's update-rc.d and insserv
// refuse such a script, so a person looking at a broken boot wants to see it.
// Every path is resolved inside the root through package hostfile, so a rescue
// mount's absolute links mean the same path below the mount and nothing
// outside it is read; a script is read only up to MaxHeaderBytes, since the
// header is at its top.
package sysv
