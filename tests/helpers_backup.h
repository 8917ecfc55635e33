/*
 * helpers_backup.h: the backup integration tests' helpers
 * (helpers_backup.c).  Strings they return are kept until
 * bk_release_kept().
 */
#ifndef ISOTEST_HELPERS_BACKUP_H
#define ISOTEST_HELPERS_BACKUP_H

#include <stdbool.h>

#define SEED FIXTURES "/backup_shop/seed.sql"
#define CHECKS_PASS FIXTURES "/backup_checks/pass"
#define CHECKS_FAIL FIXTURES "/backup_checks/fail"
/* Cases verify always has: manifest, signature, checksum, restore,
   tables, sandbox dropped; and the seed's tables. */
#define FIXED_CASES 6
#define SEED_TABLES 5

char *bk_keep(char *s);
void bk_release_kept(void);
const char *bk_sub(const char *name);
void bk_assert_contains(const char *text, const char *needle, const char *what);
const char *bk_expect(const char *const *args, int code, const char *needle,
                      const char *what);
const char *bk_new_db(const char *ci, const char *db, bool seed);
const char *bk_printed_path(const char *out, const char *lead);
const char *bk_create(const char *dci, const char *dir, const char *a1,
                      const char *a2);
const char *bk_verify(const char *path, const char *ci, const char *junit,
                      const char *more, const char *val, int code,
                      const char *needle);
long long bk_manifest_rows(const char *backup, const char *name);
const char *bk_tool(const char *const *argv);
char *bk_dump_of(const char *dci);
void bk_flip_byte(const char *path, long from_end);
const char *bk_in_dir(const char *dir, const char *name);
long long bk_count_of(const char *dci, const char *sql);

#endif
