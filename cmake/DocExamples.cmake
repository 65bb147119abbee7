# zengen_extract_doc_examples(<markdown file> <output folder> <names variable>)
#
# The programs in zengen's docs are compiled by the test suite so they cannot
# drift from the library. A program is a fenced C++ block whose first line
# names it:
#
#   ```cpp
#   // docs-example: first_gan
#   ...
#   ```
#
# Each such block is written to <output folder>/<name>.cpp (only when its text
# changed, so reconfiguring does not rebuild it), and the names are appended
# to <names variable>. Editing the markdown file reconfigures the build.
function(zengen_extract_doc_examples markdown out_dir names_var)
  file(READ "${markdown}" text)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${markdown}")
  set(fence_open "```cpp\n// docs-example: ")
  set(names ${${names_var}})
  while(TRUE)
    string(FIND "${text}" "${fence_open}" start)
    if(start EQUAL -1)
      break()
    endif()
    math(EXPR code_start "${start} + 7")  # past "```cpp\n"
    string(SUBSTRING "${text}" ${code_start} -1 text)
    string(FIND "${text}" "```" code_end)
    if(code_end EQUAL -1)
      message(FATAL_ERROR "${markdown}: a docs-example block is never closed")
    endif()
    string(SUBSTRING "${text}" 0 ${code_end} code)
    string(SUBSTRING "${text}" ${code_end} -1 text)
    if(NOT code MATCHES "^// docs-example: ([A-Za-z0-9_]+)\n")
      message(FATAL_ERROR "${markdown}: a docs-example block needs a name of letters, digits and _")
    endif()
    set(name "${CMAKE_MATCH_1}")
    if(name IN_LIST names)
      message(FATAL_ERROR "${markdown}: docs-example '${name}' is defined twice")
    endif()
    list(APPEND names "${name}")
    set(path "${out_dir}/${name}.cpp")
    set(old "")
    if(EXISTS "${path}")
      file(READ "${path}" old)
    endif()
    if(NOT old STREQUAL code)
      file(WRITE "${path}" "${code}")
    endif()
  endwhile()
  set(${names_var} ${names} PARENT_SCOPE)
endfunction()
