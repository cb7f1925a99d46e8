/*
 * libarchive, opened on first use (only `diyc image` needs it).  Linking it
 * directly made every `diyc run` load 14 more shared libraries (libxml2, ICU,
 * libstdc++, the compressors ...): about 2.5 MB of RSS and several ms of start-up.
 * The pointers take their types from <archive.h>, so a signature cannot drift.
 */
#ifndef DIYC_ARCHIVEAPI_H
#define DIYC_ARCHIVEAPI_H

#include "lib/error.h"

#include <archive.h>
#include <archive_entry.h>

#define ARCHIVE_API_FUNCS(X)                                                                       \
	X(archive_entry_copy_pathname)                                                             \
	X(archive_entry_filetype)                                                                  \
	X(archive_entry_hardlink)                                                                  \
	X(archive_entry_pathname)                                                                  \
	X(archive_entry_size)                                                                      \
	X(archive_entry_xattr_add_entry)                                                           \
	X(archive_entry_xattr_clear)                                                               \
	X(archive_entry_xattr_next)                                                                \
	X(archive_entry_xattr_reset)                                                               \
	X(archive_entry_new)                                                                       \
	X(archive_entry_free)                                                                      \
	X(archive_entry_copy_stat)                                                                 \
	X(archive_entry_copy_symlink)                                                              \
	X(archive_entry_copy_hardlink)                                                             \
	X(archive_entry_set_size)                                                                  \
	X(archive_error_string)                                                                    \
	X(archive_read_data)                                                                       \
	X(archive_read_data_block)                                                                 \
	X(archive_read_data_skip)                                                                  \
	X(archive_read_open_fd)                                                                    \
	X(archive_read_open)                                                                       \
	X(archive_read_support_format_raw)                                                         \
	X(archive_read_free)                                                                       \
	X(archive_read_new)                                                                        \
	X(archive_read_next_header)                                                                \
	X(archive_read_support_filter_bzip2)                                                       \
	X(archive_read_support_filter_gzip)                                                        \
	X(archive_read_support_filter_xz)                                                          \
	X(archive_read_support_filter_zstd)                                                        \
	X(archive_read_support_format_gnutar)                                                      \
	X(archive_read_support_format_tar)                                                         \
	X(archive_write_close)                                                                     \
	X(archive_write_data_block)                                                                \
	X(archive_write_disk_new)                                                                  \
	X(archive_write_disk_set_options)                                                          \
	X(archive_write_finish_entry)                                                              \
	X(archive_write_free)                                                                      \
	X(archive_write_header)                                                                    \
	X(archive_write_new)                                                                       \
	X(archive_write_set_format_pax_restricted)                                                 \
	X(archive_write_open_fd)                                                                   \
	X(archive_write_data)

struct archive_api {
#define ARCHIVE_API_FIELD(f) __typeof__(f) *f;
	ARCHIVE_API_FUNCS(ARCHIVE_API_FIELD)
#undef ARCHIVE_API_FIELD
};

/* The API, or NULL with the reason in why when libarchive.so.13 cannot be loaded. */
const struct archive_api *archive_api(struct dc_err *e);
/* The compressions diyc reads (gzip, zstd, xz, bzip2) on reader a: only these, as
 * support_filter_all would also run external programs on a hostile archive. */
void archive_read_filters(const struct archive_api *A, struct archive *a);
/* The data of the current entry of reader r to writer w; 0, or -1 with e naming
 * entry `name` and the side that failed. */
int archive_copy_entry(const struct archive_api *A, struct archive *r, struct archive *w,
		       const char *name, struct dc_err *e);

#endif
