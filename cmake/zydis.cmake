# Zydis, the x86 decoder of ehyve's load-time syscall rewriter, built as a static library
# from Debian's source package (scripts/debian_source.sh, at configure time): Debian 12
# ships Zydis only as a shared library, and ehyve links statically (its start-up cost).
# Only the decoder is built: no formatter, no encoder. Zycore's headers come from
# libzycore-dev; the decoder needs none of Zycore's code.
#
# Defines the target zydis_decoder.
set(EREMITE_DEBIAN_SOURCES ${CMAKE_BINARY_DIR}/_debian_sources)
execute_process(
    COMMAND ${PROJECT_SOURCE_DIR}/scripts/debian_source.sh zydis ${EREMITE_DEBIAN_SOURCES}
    RESULT_VARIABLE zydis_fetch_result
    ERROR_VARIABLE zydis_fetch_error)
if(NOT zydis_fetch_result EQUAL 0)
    message(FATAL_ERROR "Zydis (Debian source package zydis): ${zydis_fetch_error}")
endif()
find_path(ZYCORE_INCLUDE_DIR Zycore/Defines.h)
if(NOT ZYCORE_INCLUDE_DIR)
    message(FATAL_ERROR "Zycore's headers are missing (Debian: libzycore-dev; scripts/setup.sh installs it)")
endif()

set(zydis_dir ${EREMITE_DEBIAN_SOURCES}/zydis)
add_library(zydis_decoder STATIC
    ${zydis_dir}/src/Decoder.c
    ${zydis_dir}/src/DecoderData.c
    ${zydis_dir}/src/MetaInfo.c
    ${zydis_dir}/src/Mnemonic.c
    ${zydis_dir}/src/Register.c
    ${zydis_dir}/src/Segment.c
    ${zydis_dir}/src/SharedData.c
    ${zydis_dir}/src/Utils.c
    ${zydis_dir}/src/Zydis.c)
target_compile_definitions(zydis_decoder PUBLIC
    ZYDIS_STATIC_BUILD ZYCORE_STATIC_BUILD ZYDIS_DISABLE_FORMATTER ZYDIS_DISABLE_ENCODER)
target_include_directories(zydis_decoder SYSTEM PUBLIC ${zydis_dir}/include ${ZYCORE_INCLUDE_DIR})
target_include_directories(zydis_decoder PRIVATE ${zydis_dir}/src)
set_target_properties(zydis_decoder PROPERTIES POSITION_INDEPENDENT_CODE ON)
