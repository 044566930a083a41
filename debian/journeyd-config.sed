# Turns etc/journeyd.yaml (the development config) into the package's /etc/journeyd/journeyd.yaml.
# debian/rules checks the result, so a line here that stops matching fails the build.
1i\
# journeyd configuration installed by the Debian package (a conffile: your edits are kept on\
# upgrade). After editing: `journeyd validate /etc/journeyd/journeyd.yaml`, then\
# `systemctl reload journeyd` (or restart, for listen, data_dir, orders, customers and channels).
s|^  write: \[dev-write-key\].*|  write: []                     # this file is readable by every local user: use the files|
s|^  admin: \[dev-admin-key\].*|  admin: []|
s|^  # write_file: /etc/journeyd/write.keys|  write_file: /etc/journeyd/write.keys   # one key per line; generated at installation|
s|^  # admin_file: /etc/journeyd/admin.keys|  admin_file: /etc/journeyd/admin.keys   # one key per line; generated at installation|
/^  admin_file:/a\
  # More keys may come from /etc/journeyd/journeyd.env, read by the service (mode 0640,\
  # root:journeyd), as comma-separated lists:\
  #   JOURNEYD_WRITE_KEY=key1,key2\
  #   JOURNEYD_ADMIN_KEY=key3
s|^  data_dir: \.\./var      |  data_dir: /var/lib/journeyd|
s|^journeys: \.\./journeys  |journeys: /etc/journeyd/journeys|
s|^templates: \.\./templates  |templates: /etc/journeyd/templates|
s|^# to files under var/ so nothing leaves the machine;|# to files under /var/lib/journeyd/outbox/ so nothing leaves the machine;|
s|^    path: var/outbox/|    path: /var/lib/journeyd/outbox/|
